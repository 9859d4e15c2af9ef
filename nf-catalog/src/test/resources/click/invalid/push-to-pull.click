// expect: config:5: 'FromDevice@1 :: FromDevice' push output 0 connected to 'u :: Unqueue' pull input 0
// a Queue is missing between the device and the pulling element

FromDevice(eth0)
  -> u :: Unqueue -> Discard;
