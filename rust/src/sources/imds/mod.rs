//! The EC2 Instance Metadata Service source (being written).
