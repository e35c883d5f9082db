# Tests of the cluster client (src/kube/).
