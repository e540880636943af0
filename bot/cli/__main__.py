"""`python -m bot.cli` is `a4pbot`."""

import sys

from bot.cli.main import main

sys.exit(main())
