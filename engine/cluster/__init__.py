"""Work too big for one process, spread over Dask workers: batches of stills, microscopes, video shots.

The driver (the command line) reads inputs, sends them to long-lived worker processes that load
the network once, and alone writes the results, each exactly once; workers never touch the
driver's disk, so the same code runs on this machine (``--cluster local``) and on a cluster.
"""
