# syntax=docker/dockerfile:1
# a4p-bot: dependencies (from requirements.lock) + the bot's wheel + slim runtime (numeric
# non-root user, font and jieba cache baked in, data on a volume). Polling by default; see
# docker-compose.yml for webhook mode behind an HTTPS proxy.
#
# The base is pinned to a Debian release (12, bookworm) by its tag; the tag still moves with
# Python 3.11 patch releases and Debian point releases. To pin it completely, build with its
# digest, e.g. (`docker buildx imagetools inspect python:3.11-slim-bookworm` prints it):
#   docker build --build-arg PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:<digest> .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# Dependencies only: this layer is rebuilt when requirements.lock changes, not the code.
FROM ${PYTHON_IMAGE} AS deps
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir -r /tmp/requirements.lock

# The bot itself, as a wheel (seconds; its dependencies are already installed).
FROM deps AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
# fonts-wqy-microhei: the CJK font of the briefing charts, at bookworm's version; Pango: what
# WeasyPrint lays out the PDF report with (`report --format pdf`).
# uid/gid 10001, numeric in USER below: Kubernetes' runAsNonRoot can check it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei=0.2.0-beta-3.1 \
       libpango-1.0-0=1.50.12+ds-1 libpangoft2-1.0-0=1.50.12+ds-1 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 a4p \
    && useradd --uid 10001 --gid 10001 --create-home --shell /usr/sbin/nologin a4p
COPY --from=deps /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 \
    A4P_KNOWLEDGE_DIR=/app/knowledge \
    A4P_CACHE_DIR=/app/cache \
    MPLCONFIGDIR=/app/cache/matplotlib \
    A4P_DATA_DIR=/data
# pip check: every dependency the bot declares is installed (the lock is complete).
RUN --mount=type=bind,from=wheel,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-deps /wheels/*.whl \
    && pip check
COPY knowledge /app/knowledge
# Validate the knowledge (its parsed form is kept), build the trimmed jieba dictionary,
# jieba's cache of it, the catalogue's cut texts and bigram tables and matplotlib's font
# cache now, so a container answers its first question without that work.
# jieba trusts its cache only when it is strictly newer than the dictionary, and image
# layers keep whole seconds: the dictionary is dated back so the cache stays newer (the bot
# also accepts a cache from the same second, see bot/answering/segmenter.py).
RUN mkdir -p /app/cache /data \
    && a4pbot catalogue check \
    && a4pbot ask --json 保护平民 > /dev/null \
    && touch -d "2000-01-01 00:00:00" /app/cache/jieba-general-*.txt \
    && python -c "from bot.briefing.summary import cjk_font; assert cjk_font(), 'no CJK font'" \
    && rm -rf /data/* \
    && chown -R 10001:10001 /app/cache /data
USER 10001:10001
VOLUME /data
EXPOSE 8443
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["a4pbot", "health"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["a4pbot"]
CMD ["run"]
