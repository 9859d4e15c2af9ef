// Count IPv4 packets per protocol between two devices (a Click userlevel classic).
define($IN eth0, $OUT eth1);
require(clickos);

elementclass Counted { $label |
  input -> c :: Counter -> Print($label, MAXLENGTH 0) -> output;
}

src :: FromDevice($IN, PROMISC true);
dst :: ToDevice($OUT);
q :: Queue(1000);
q -> dst;
eth :: Classifier(12/0800, 12/0806, -);
ip :: IPClassifier(tcp, udp, icmp type echo or icmp type echo-reply, -);

src -> eth;
eth[0] -> Strip(14) -> CheckIPHeader -> ip;
eth[1] -> q;
eth[2] -> Discard;
ip[0] -> Counted(tcp) -> Unstrip(14) -> q;
ip[1] -> Counted(udp) -> Unstrip(14) -> q;
ip[2] -> Counted(ping) -> Unstrip(14) -> q;
ip[3] -> Discard;
