# The VPC: created here unless vpc_id is given. Public subnets hold the load balancer and the
# NAT gateway; private subnets the tasks, the database and EFS's mount targets. Every flow is
# logged to CloudWatch; the default security group allows nothing.

# An allowlist of zone names, so the zones (and the subnets in them) stay the same when AWS
# adds a zone or one is impaired: availability_zones, or the region's zones a to f.
data "aws_availability_zones" "available" {
  filter {
    name   = "zone-name"
    values = length(var.availability_zones) > 0 ? var.availability_zones : [for letter in ["a", "b", "c", "d", "e", "f"] : "${var.aws_region}${letter}"]
  }

  filter {
    name   = "zone-type"
    values = ["availability-zone"]
  }
}

locals {
  create_vpc         = var.vpc_id == null
  azs                = length(var.availability_zones) > 0 ? var.availability_zones : slice(sort(data.aws_availability_zones.available.names), 0, var.availability_zone_count)
  vpc_id             = local.create_vpc ? aws_vpc.this[0].id : var.vpc_id
  public_subnet_ids  = local.create_vpc ? aws_subnet.public[*].id : var.public_subnet_ids
  private_subnet_ids = local.create_vpc ? aws_subnet.private[*].id : var.private_subnet_ids
}

resource "aws_vpc" "this" {
  count = local.create_vpc ? 1 : 0

  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = local.name }
}

resource "aws_default_security_group" "this" {
  count = local.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  tags   = { Name = "${local.name}-default-deny" }
}

resource "aws_flow_log" "this" {
  count = local.create_vpc ? 1 : 0

  vpc_id          = aws_vpc.this[0].id
  traffic_type    = "ALL"
  log_destination = aws_cloudwatch_log_group.flow_logs[0].arn
  iam_role_arn    = aws_iam_role.flow_logs[0].arn
}

resource "aws_internet_gateway" "this" {
  count = local.create_vpc ? 1 : 0

  vpc_id = aws_vpc.this[0].id
  tags   = { Name = local.name }
}

resource "aws_subnet" "public" {
  count = local.create_vpc ? length(local.azs) : 0

  vpc_id                  = aws_vpc.this[0].id
  availability_zone       = local.azs[count.index]
  cidr_block              = cidrsubnet(var.vpc_cidr, 8, count.index)
  map_public_ip_on_launch = false

  tags = { Name = "${local.name}-public-${local.azs[count.index]}" }
}

resource "aws_subnet" "private" {
  count = local.create_vpc ? length(local.azs) : 0

  vpc_id            = aws_vpc.this[0].id
  availability_zone = local.azs[count.index]
  cidr_block        = cidrsubnet(var.vpc_cidr, 8, count.index + 100)

  tags = { Name = "${local.name}-private-${local.azs[count.index]}" }
}

resource "aws_eip" "nat" {
  count = local.create_vpc ? 1 : 0

  domain = "vpc"
  tags   = { Name = "${local.name}-nat" }

  depends_on = [aws_internet_gateway.this]
}

# One NAT gateway (one zone): the tasks reach ECR, Secrets Manager, the data source and SMTP
# through it. A zone outage stops that traffic; one NAT per zone costs one gateway each.
resource "aws_nat_gateway" "this" {
  count = local.create_vpc ? 1 : 0

  allocation_id = aws_eip.nat[0].id
  subnet_id     = aws_subnet.public[0].id
  tags          = { Name = local.name }
}

locals {
  # The created VPC's route tables: public subnets route to the internet gateway, private ones
  # to the NAT gateway.
  tiers = local.create_vpc ? toset(["public", "private"]) : toset([])
  tier_subnets = {
    public  = aws_subnet.public[*].id
    private = aws_subnet.private[*].id
  }
}

resource "aws_route_table" "this" {
  for_each = local.tiers

  vpc_id = aws_vpc.this[0].id
  tags   = { Name = "${local.name}-${each.key}" }
}

resource "aws_route" "default" {
  for_each = local.tiers

  route_table_id         = aws_route_table.this[each.key].id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = each.key == "public" ? aws_internet_gateway.this[0].id : null
  nat_gateway_id         = each.key == "private" ? aws_nat_gateway.this[0].id : null
}

resource "aws_route_table_association" "this" {
  for_each = { for pair in setproduct(tolist(local.tiers), range(length(local.azs))) : "${pair[0]}-${pair[1]}" => pair }

  subnet_id      = local.tier_subnets[each.value[0]][each.value[1]]
  route_table_id = aws_route_table.this[each.value[0]].id
}
