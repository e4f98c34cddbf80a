"""Release: when a receipted clip's camera copy may go (releaser), the only code that deletes,
keeps or moves it after re-checking every proof (camera_copy), and spool clean-up after the grace
period (spool_cleanup)."""
