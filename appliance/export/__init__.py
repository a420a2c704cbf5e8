"""export box of the design (DESIGN.md "On the USB stick"): sticks, the exporter, the manifest.

Import the modules themselves (`appliance.export.exporter`, `.stick`, `.udisks`,
`.manifest`). This file deliberately imports nothing: vig-unpack reads
`appliance.export.manifest` on laptops of any OS, where the POSIX-only stick code
(`O_NOFOLLOW`, `O_DIRECTORY`, `posix_fadvise`) must not be loaded.
"""
