using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Platform.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class CohortTailnets : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "ArchivedAt",
                table: "Cohorts",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "CohortTailnets",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CohortId = table.Column<Guid>(type: "TEXT", nullable: false),
                    HeadscaleUser = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    HeadscaleUserId = table.Column<string>(type: "TEXT", maxLength: 40, nullable: true),
                    State = table.Column<int>(type: "INTEGER", nullable: false),
                    LastError = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ProvisionedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_CohortTailnets", x => x.Id);
                    table.ForeignKey(
                        name: "FK_CohortTailnets_Cohorts_CohortId",
                        column: x => x.CohortId,
                        principalTable: "Cohorts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "TailnetLabKeys",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    CohortId = table.Column<Guid>(type: "TEXT", nullable: false),
                    StudentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    AssignmentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    HeadscaleKeyId = table.Column<string>(type: "TEXT", maxLength: 40, nullable: false),
                    IssuedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TailnetLabKeys", x => x.Id);
                    table.ForeignKey(
                        name: "FK_TailnetLabKeys_Cohorts_CohortId",
                        column: x => x.CohortId,
                        principalTable: "Cohorts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "TailnetServers",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Url = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    ProtectedApiKey = table.Column<string>(type: "TEXT", nullable: false),
                    ApiKeySetAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastCheckedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    LastCheckOk = table.Column<bool>(type: "INTEGER", nullable: true),
                    LastCheckMessage = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    ServerVersion = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TailnetServers", x => x.Id);
                    table.ForeignKey(
                        name: "FK_TailnetServers_Tenants_TenantId",
                        column: x => x.TenantId,
                        principalTable: "Tenants",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_CohortTailnets_CohortId",
                table: "CohortTailnets",
                column: "CohortId",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_CohortTailnets_TenantId",
                table: "CohortTailnets",
                column: "TenantId");

            migrationBuilder.CreateIndex(
                name: "IX_TailnetLabKeys_CohortId_HeadscaleKeyId",
                table: "TailnetLabKeys",
                columns: new[] { "CohortId", "HeadscaleKeyId" });

            migrationBuilder.CreateIndex(
                name: "IX_TailnetLabKeys_TenantId_StudentId",
                table: "TailnetLabKeys",
                columns: new[] { "TenantId", "StudentId" });

            migrationBuilder.CreateIndex(
                name: "IX_TailnetServers_TenantId",
                table: "TailnetServers",
                column: "TenantId",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "CohortTailnets");

            migrationBuilder.DropTable(
                name: "TailnetLabKeys");

            migrationBuilder.DropTable(
                name: "TailnetServers");

            migrationBuilder.DropColumn(
                name: "ArchivedAt",
                table: "Cohorts");
        }
    }
}
