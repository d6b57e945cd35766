"""Recording what the processes of a run did (``recorder``, runs in the workers) and reading and
drawing it in the kernel (``model``, ``charts``).

Kept empty on purpose: worker processes load ``helpers.trace.recorder`` at start-up and must
not load the kernel-side modules (matplotlib).
"""
