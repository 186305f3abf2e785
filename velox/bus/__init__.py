"""Scale-out over NATS (SPEC section 15): one engine process, any number of gateways.

``server`` runs beside the engine service and answers commands on the bus after their journal
commit; ``client`` is the gateways' engine: commands by request/reply, reads from a mirror of
the engine state kept in step by the committed batches the engine publishes.
"""
