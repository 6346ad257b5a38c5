"""`python -m dreampixel <command>`: see dreampixel/cli.py."""

from dreampixel.cli import main

raise SystemExit(main())
