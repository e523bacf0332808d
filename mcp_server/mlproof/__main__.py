import sys

from mlproof.cli import main

sys.exit(main())
