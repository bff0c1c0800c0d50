using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Migrations.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class LabImageBuilds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "BuildLog",
                table: "LabImages",
                type: "text",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<int>(
                name: "BuildPercent",
                table: "LabImages",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "BuildStage",
                table: "LabImages",
                type: "character varying(200)",
                maxLength: 200,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "BuildStartedAt",
                table: "LabImages",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "BuiltAt",
                table: "LabImages",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "DiskBytes",
                table: "LabImages",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ManifestHash",
                table: "LabImages",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "BuildLog",
                table: "LabImages");

            migrationBuilder.DropColumn(
                name: "BuildPercent",
                table: "LabImages");

            migrationBuilder.DropColumn(
                name: "BuildStage",
                table: "LabImages");

            migrationBuilder.DropColumn(
                name: "BuildStartedAt",
                table: "LabImages");

            migrationBuilder.DropColumn(
                name: "BuiltAt",
                table: "LabImages");

            migrationBuilder.DropColumn(
                name: "DiskBytes",
                table: "LabImages");

            migrationBuilder.DropColumn(
                name: "ManifestHash",
                table: "LabImages");
        }
    }
}
