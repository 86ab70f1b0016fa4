"""Sharing this machine's devices (rpc-host) and using other machines' (endpoints, planning)."""
