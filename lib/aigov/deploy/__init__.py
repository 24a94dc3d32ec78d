"""Deploy the spec: engines (direct | pulumi | auto), the Pulumi program, the gate."""
