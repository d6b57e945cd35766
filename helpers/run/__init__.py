"""Running real programs: launcher, process tree, framed output, start methods, bootstrap.

Kept empty on purpose: worker processes load ``helpers.run.childio`` at start-up and must not
pay for anything else.
"""
