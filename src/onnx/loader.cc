// Filled in by the loader work in progress.
