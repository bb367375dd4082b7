"""Sans-IO roles: L1 node, sequencer, batcher, verifier node (and, later, hub, relayer, prover).

Each role is a state machine: an event and the current time go in, a list of
effects comes out. Roles never read a clock, a socket, a random source or the
environment; the simulator and the live runtime drive the very same objects.
"""
