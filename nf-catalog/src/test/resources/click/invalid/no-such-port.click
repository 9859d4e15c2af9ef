// expect: config:5: 'fw :: FlowFirewall' has no output 3
fw :: FlowFirewall;
FromDevice(a) -> [0]fw[0] -> ToDevice(b);
FromDevice(b) -> [1]fw[1] -> ToDevice(a);
fw[3] -> Discard;
