"""The demo city and the simulated day: development tools that sit on top of the shipped
packages (`api`, `marketplace`, ...) and are not part of them. `python -m demo --help`."""
