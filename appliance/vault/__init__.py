"""The vault: age encryption and the encrypted session store on the SD card.

It knows nothing of cameras, MP4 or the panel: it stores opaque bytes, encrypted to the
enrolled recipients, and keeps the plaintext bookkeeping the device needs to run.
"""
