"""The city's asset inventory: which system a host or address belongs to, who owns it, how
critical it is, and whether an address is the city's own (internal) or not.

``model`` (the YAML's schema) -> ``loader`` (file -> inventory, errors as ``file:line``) ->
``lookup`` (longest-prefix and host-name resolution) -> ``context`` (an event's or alert's
host/source/destination) -> ``priority`` (rule severity x asset criticality); ``inventory``
keeps the current one and reloads it when the file changes.
"""
