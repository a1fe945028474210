resource "aws_instance" "runner" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.medium"
  user_data     = <<-EOT
    #!/bin/bash
    # The runner is registered by hand after boot: gitlab-runner register
    echo "run gitlab-runner register"
    gitlab-runner register
  EOT
}
