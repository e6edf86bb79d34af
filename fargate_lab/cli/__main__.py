"""`python -m fargate_lab.cli ...` is `fargate-lab ...` (the background local cloud is started this way)."""
import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
