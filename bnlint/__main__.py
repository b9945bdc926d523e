import sys

from bnlint.cli import main

sys.exit(main())
