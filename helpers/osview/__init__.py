"""Looking at the live operating system: a process's PCB card and the process tree
(``proctree``), and the checked OS-history timeline (``history``)."""
