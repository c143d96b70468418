"""Pure business rules of Kartu Prakerja: no AWS, no I/O, no clock of their own."""
