"""Qt side of remote devices: the endpoint row in load options and the rpc-host panel."""
