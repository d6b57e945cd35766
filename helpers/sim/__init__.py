"""Simulators of what an operating system does, tick by tick.

One convention per simulator: ``<model>.py`` (the model, stdlib only: data, text tables, CLI),
``<model>_chart.py`` (matplotlib charts) and ``<model>_widget.py`` (ipywidgets), for
``process_run``, ``scheduler`` and ``multiprog``; ``_plot.py`` holds what the charts and
widgets share, ``_cli.py`` what the command lines share.
"""
