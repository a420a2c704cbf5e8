"""VIG appliance: records VIG sessions straight into age-encrypted storage."""

__version__ = "0.1.0"
