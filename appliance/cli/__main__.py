"""`python -m appliance.cli`, the same as `vig-appliance`."""

import sys

from . import main

sys.exit(main())
