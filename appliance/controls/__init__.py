"""The physical controls: one button and two LEDs, thin front ends of the controller."""
