"""`python -m medcodes`: the command line."""

from medcodes.cli import main

main()
