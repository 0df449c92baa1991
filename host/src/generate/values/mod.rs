//! Native value generators, one file per kind of value. (Being written.)
