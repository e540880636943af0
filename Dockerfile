# syntax=docker/dockerfile:1
# a4p-bot: build stage (a virtual environment) + slim runtime (non-root, font and jieba
# cache baked in, data on a volume). Polling by default; see docker-compose.yml for webhook.

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir .

FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 a4p
COPY --from=build /opt/venv /opt/venv
COPY knowledge /app/knowledge
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    A4P_KNOWLEDGE_DIR=/app/knowledge \
    A4P_CACHE_DIR=/app/cache \
    MPLCONFIGDIR=/app/cache/matplotlib \
    A4P_DATA_DIR=/data
# Validate the knowledge, build the trimmed jieba dictionary and matplotlib's font cache
# now, so a container answers its first question without that work.
RUN mkdir -p /app/cache /data \
    && a4pbot catalogue check \
    && a4pbot ask --json 保护平民 > /dev/null \
    && python -c "from bot.briefing import cjk_font; assert cjk_font(), 'no CJK font'" \
    && rm -rf /data/* \
    && chown -R a4p:a4p /app/cache /data
USER a4p
VOLUME /data
EXPOSE 8443
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["a4pbot", "health"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["a4pbot"]
CMD ["run"]
