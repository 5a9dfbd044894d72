"""`python -m bot` is `incident-bot`."""

import sys

from bot.cli import main

sys.exit(main())
