"""UVC dashcam capture: the recorder (device stream to hashed fragmented-MP4 segments), one
segment on disk, crash recovery, the one `make_recorder`, and segments journaled as SPOOLED clips."""
