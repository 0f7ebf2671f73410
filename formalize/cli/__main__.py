import sys

from formalize.cli.main import main

sys.exit(main())
