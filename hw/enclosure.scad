// VIG appliance enclosure (OpenSCAD, parametric).
//
//   openscad -D 'part="box"' -o box.stl hw/enclosure.scad
//   openscad -D 'part="lid"' -o lid.stl hw/enclosure.scad
//
// The board lies flat on standoffs; its USB/Ethernet end faces the right wall (stick and
// microphone), its USB-C power edge faces the back. The camera sits behind a window in
// the front wall, the button and the two LEDs on the lid, and a boss under the floor holds
// a 1/4"-20 heat-set insert for a tripod, under the centre of mass.
// All sizes in mm.

// A Pi 4 B and a Pi 5 share the footprint, the mounting holes, the USB-C position and the
// USB/Ethernet end (the cut-out spans both layouts), so one box fits either.
part = "box";           // "box", "lid" or "both" (preview)

// --- board (Raspberry Pi 4 / 5 mechanical drawings) ---
pcb = [85, 56, 1.6];
pcb_holes = [[3.5, 3.5], [61.5, 3.5], [3.5, 52.5], [61.5, 52.5]];
standoff_h = 5;
standoff_d = 6;
hole_d = 2.7;           // M2.5 screw, self-tapping into the standoff
tallest_part = 17;      // USB-A/Ethernet stack above the PCB

// --- enclosure ---
wall = 2.4;
floor_t = 3;
lid_t = 2.4;
clearance = 1.5;        // board to inner wall
cam_space = 14;         // in front of the board: Camera Module 3 on its own standoffs
inner = [pcb[0] + 2 * clearance + cam_space, pcb[1] + 2 * clearance,
         standoff_h + pcb[2] + tallest_part + 4];
outer = [inner[0] + 2 * wall, inner[1] + 2 * wall, inner[2] + floor_t];
corner_r = 4;

// --- camera (Camera Module 3: 25 x 24 mm board, holes 21 x 12.5 apart, lens 9.5 below the top edge) ---
cam_board = [25, 24];
cam_holes = [[2, 2], [23, 2], [2, 14.5], [23, 14.5]];
cam_lens = [12.5, 14.5];  // lens centre on the camera board
cam_window_d = 14;        // 120 degree Wide lens: clear cone at the wall thickness
cam_centre_z = floor_t + standoff_h + 18;

// --- controls on the lid ---
button_d = 16.2;          // 16 mm panel-mount button (12.2 for a 12 mm one)
led_d = 8.1;              // 5 mm LED in a panel clip
control_y = outer[1] / 2;

// --- ports (on the board's own coordinates, x along the 85 mm edge) ---
usb_c = [11.2, 9.5, 3.6];     // centre x, width, height
usb_block = [21, 48, 16];     // the USB-A + Ethernet end: y span, z height
sd_slot = [12, 3];            // microSD at the short edge opposite the USB end

// --- tripod ---
insert_od = 7.9;              // hole for a 1/4"-20 heat-set insert (OD 8.0 knurled)
insert_len = 10;
boss_d = 18;

$fn = 48;

module rounded_box(size, r) {
    hull() for (x = [r, size[0] - r], y = [r, size[1] - r])
        translate([x, y, 0]) cylinder(r = r, h = size[2]);
}

board_origin = [wall + clearance + cam_space, wall + clearance, floor_t + standoff_h];

module box() {
    difference() {
        union() {
            difference() {
                rounded_box(outer, corner_r);
                translate([wall, wall, floor_t]) rounded_box([inner[0], inner[1], inner[2] + 1], corner_r - wall / 2);
            }
            // board standoffs
            for (h = pcb_holes)
                translate([board_origin[0] + h[0], board_origin[1] + h[1], 0])
                    cylinder(d = standoff_d, h = floor_t + standoff_h);
            // camera standoffs on the front wall; the camera faces out through the window
            for (h = cam_holes)
                translate([wall - 0.01, wall + (inner[1] - cam_board[0]) / 2 + h[0],
                           cam_centre_z - cam_lens[1] + h[1]])
                    rotate([0, 90, 0]) cylinder(d = 4.5, h = 4);
            // tripod boss
            translate([outer[0] / 2, outer[1] / 2, 0]) cylinder(d = boss_d, h = insert_len + 1);
        }
        // screw holes
        for (h = pcb_holes)
            translate([board_origin[0] + h[0], board_origin[1] + h[1], 1]) cylinder(d = hole_d, h = 20);
        for (h = cam_holes)
            translate([wall - 1, wall + (inner[1] - cam_board[0]) / 2 + h[0],
                       cam_centre_z - cam_lens[1] + h[1]])
                rotate([0, 90, 0]) cylinder(d = 2.2, h = 10);
        // camera window, chamfered outwards for the 120 degree field of view
        translate([-0.01, outer[1] / 2, cam_centre_z]) rotate([0, 90, 0])
            cylinder(d1 = cam_window_d + 2 * wall, d2 = cam_window_d, h = wall + 0.02);
        // USB-A + Ethernet end (stick, microphone): right wall
        translate([outer[0] - wall - 1, board_origin[1] + (pcb[1] - usb_block[1]) / 2,
                   board_origin[2] + pcb[2] - 0.5])
            cube([wall + 2, usb_block[1], usb_block[2]]);
        // USB-C power: back wall
        translate([board_origin[0] + usb_c[0] - usb_c[1] / 2 - 1.5, outer[1] - wall - 1,
                   board_origin[2] + pcb[2] - 0.5])
            cube([usb_c[1] + 3, wall + 2, usb_c[2] + 3]);
        // microSD access: floor slot under the card end
        translate([board_origin[0] - 2, board_origin[1] + pcb[1] / 2 - sd_slot[0] / 2, -0.01])
            cube([6, sd_slot[0], floor_t + 0.02]);
        // tripod insert
        translate([outer[0] / 2, outer[1] / 2, -0.01]) cylinder(d = insert_od, h = insert_len);
    }
}

module lid() {
    lip = 1.2;
    difference() {
        union() {
            rounded_box([outer[0], outer[1], lid_t], corner_r);
            translate([wall + 0.3, wall + 0.3, lid_t - 0.01])
                difference() {
                    rounded_box([inner[0] - 0.6, inner[1] - 0.6, 3], corner_r - wall / 2);
                    translate([lip, lip, -0.01])
                        rounded_box([inner[0] - 0.6 - 2 * lip, inner[1] - 0.6 - 2 * lip, 3.1], corner_r - wall);
                }
        }
        // button over the camera end, LEDs beside it: reachable with the box on a tripod
        translate([outer[0] * 0.30, control_y, -0.01]) cylinder(d = button_d, h = lid_t + 4);
        translate([outer[0] * 0.55, control_y - 10, -0.01]) cylinder(d = led_d, h = lid_t + 4);
        translate([outer[0] * 0.55, control_y + 10, -0.01]) cylinder(d = led_d, h = lid_t + 4);
        // ventilation over the SoC
        for (i = [0 : 4])
            translate([outer[0] * 0.68 + i * 5, control_y - 15, -0.01]) cube([2, 30, lid_t + 4]);
    }
}

if (part == "box") box();
else if (part == "lid") lid();
else { box(); translate([0, 0, outer[2] + 10]) lid(); }
