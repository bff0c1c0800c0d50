global using Platform.Data.Tenancy;
