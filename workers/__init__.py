"""RQ jobs and the Redis data they own: intake drain, bucket key scheme and read functions."""
