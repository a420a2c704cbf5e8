"""VIG appliance: records Video Interaction Guidance sessions straight into age-encrypted storage."""

__version__ = "0.1.0"
