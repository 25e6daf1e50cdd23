"""Write, publish, verify and open the Whoosh index of code pages."""
