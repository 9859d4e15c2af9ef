// The example of FlowFirewall's documentation block (clickos-images/src/el_firewall.c).
fw :: FlowFirewall(TIMEOUT 120, CAPACITY 10000, UDP_TIMEOUT 30s);
inside :: FromDevice(veth0);
outside :: FromDevice(veth1);
inside_q :: ToDevice(veth0);
outside_q :: ToDevice(veth1);
inside -> CheckIPHeader(14) -> [0]fw[0] -> outside_q;
outside -> CheckIPHeader(14) -> [1]fw[1] -> inside_q;
fw[2] -> refused :: Counter -> Discard;
