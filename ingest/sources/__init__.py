"""Sources read records (files, syslog, HTTP), parse them and send batches to the transport."""
