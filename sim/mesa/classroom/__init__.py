"""The classroom: lessons (scenarios/classroom/), a Mesa model a teacher steers with levers,
the views the page draws, and the Solara page itself (page.py, imported only by ``relsim app``)."""
