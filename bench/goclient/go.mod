module pier/bench/goclient

go 1.19
