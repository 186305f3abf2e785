"""The websocket side: the /ws endpoint, the hub that fans committed output out,
and the per-connection queues."""
