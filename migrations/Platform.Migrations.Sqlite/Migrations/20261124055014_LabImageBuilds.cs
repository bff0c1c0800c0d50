using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Migrations.Sqlite.Migrations
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
                type: "TEXT",
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<int>(
                name: "BuildPercent",
                table: "LabImages",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "BuildStage",
                table: "LabImages",
                type: "TEXT",
                maxLength: 200,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<long>(
                name: "BuildStartedAt",
                table: "LabImages",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "BuiltAt",
                table: "LabImages",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "DiskBytes",
                table: "LabImages",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ManifestHash",
                table: "LabImages",
                type: "TEXT",
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
