"""Sans-IO roles: every node of a network, from the L1 node to the hub, relayer and provers.

The roles: ``l1_node`` (produces L1 blocks), ``sequencer``, ``batcher``,
``verifier`` (derives a rollup from L1), ``hub``, ``relayer`` (cross-rollup
messages), ``prover`` (a validity rollup's coordinator and workers),
``proposer`` and ``challenger`` (fault dispute games) and ``client`` (the
workload). Beside them: ``base`` (the event and effect contract), ``messages``
and ``settlement_messages``, the follower rules ``l1_sync`` and ``hub_sync``,
and ``l1_sender`` (one L1 account's transactions, for every role that sends
them).

Each role is a state machine: an event and the current time go in, a list of
effects comes out. Roles never read a clock, a socket, a random source or the
environment; the simulator and the live runtime drive the very same objects.
"""
