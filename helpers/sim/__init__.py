"""Simulators of what an operating system does, tick by tick (data, tables, charts, widgets)."""
