"""HTTP service and command line of the fiscal extractor."""
